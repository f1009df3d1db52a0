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
