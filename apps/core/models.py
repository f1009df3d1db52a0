"""What every tool stores about what it made: the shared abstract ``Creation``."""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.urls import reverse


def new_token() -> str:
    # 128 random bits, URL-safe: result URLs cannot be guessed or enumerated.
    return secrets.token_urlsafe(16)


def creation_upload_to(instance: Creation, filename: str) -> str:
    return f"{instance.TOOL}/{instance.token}/{filename}"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    FLAGGED = "flagged", "Flagged"


class Creation(models.Model):
    """One generated result. Files and row are written together by ``save_creation``."""

    TOOL: ClassVar[str] = ""
    TOOL_LABEL: ClassVar[str] = ""

    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    owner_session = models.CharField(max_length=64, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    input_image = models.FileField(upload_to=creation_upload_to, max_length=255)
    output_image = models.FileField(upload_to=creation_upload_to, max_length=255)
    params = models.JSONField(default=dict, blank=True)
    engines = models.JSONField(default=dict, blank=True)
    # One string of the engines, for filtering in the review screen.
    engine = models.CharField(max_length=1000, db_index=True, blank=True)
    timings_ms = models.JSONField(default=dict, blank=True)
    review_status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PENDING, db_index=True
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.TOOL} {self.token}"

    def get_absolute_url(self) -> str:
        return reverse(f"{self.TOOL}:result", args=[self.token])

    def set_engines(self, engines: dict[str, str]) -> None:
        summary = " + ".join(f"{stage}: {name}" for stage, name in sorted(engines.items()))
        limit = self._meta.get_field("engine").max_length
        # SQLite ignores a column's length and PostgreSQL refuses the row: fail here, in either database.
        if len(summary) > limit:
            raise ValueError(f"The engines' summary is {len(summary)} characters; the column holds {limit}")
        self.engines = engines
        self.engine = summary

    def file_fields(self) -> list[models.FieldFile]:
        return [
            getattr(self, field.name)
            for field in self._meta.get_fields()
            if isinstance(field, models.FileField) and getattr(self, field.name)
        ]


def job_upload_to(instance: Job, filename: str) -> str:
    return f"jobs/{instance.token}/{filename}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Job(models.Model):
    """A generation queued for a worker (EMOPIC_JOBS=celery): the photo waits here until a worker makes it.

    The row is the job's truth; the broker only carries its id, so a lost message or a dead worker is found
    from the row (``apps.core.jobs.recover_stalled_jobs``) and the job is run again or marked failed.
    """

    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    tool = models.CharField(max_length=32, db_index=True)
    owner_session = models.CharField(max_length=64, db_index=True, editable=False)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    # The decoded photo, lossless (EXIF already dropped, orientation applied); deleted once the job ends.
    input_file = models.FileField(upload_to=job_upload_to, max_length=255, blank=True)
    input_format = models.CharField(max_length=8, blank=True)  # as sent: what the creation records
    input_source = models.CharField(max_length=16, blank=True)
    params = models.JSONField(default=dict, blank=True)  # the tool's own, as its generator takes them
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # When the job was last handed to the broker, and when its current attempt started.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Set when done: the creation as "<app_label>.<model_name>:<pk>", and its token (its URLs' key).
    creation_key = models.CharField(max_length=100, blank=True)
    creation_token = models.CharField(max_length=32, blank=True)
    # Set when failed: what the visitor is told, with the HTTP status a request would have had.
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    error_status = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "started_at"]), models.Index(fields=["status", "enqueued_at"])]

    def __str__(self) -> str:
        return f"{self.tool} job {self.token} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("core:job", args=[self.token])

    def creation_page_url(self) -> str:
        return reverse(f"{self.tool}:result", args=[self.creation_token]) if self.creation_token else ""

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)
