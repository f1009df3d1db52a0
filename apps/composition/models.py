from __future__ import annotations

from django.db import models
from django.urls import reverse

from apps.core.models import Creation


class CompositionProfile(models.Model):
    """A target look made from reference photos the user liked: the measures the coach steers towards."""

    owner_session = models.CharField(max_length=64, db_index=True, editable=False)
    name = models.CharField(max_length=80)
    # Profile.to_dict() without key and name: targets and tolerances.
    targets = models.JSONField(default=dict)
    reference_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return f"mine-{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("composition:profile", args=[self.pk])


class CompositionShot(Creation):
    """A photo the coach took (automatically or by the shutter) or a single photo sent for analysis.
    The input is the photo; the output is the overlay drawn over it."""

    TOOL = "composition"
    TOOL_LABEL = "Composition coach"

    class Trigger(models.TextChoices):
        AUTO = "auto", "Taken by the coach"
        SHUTTER = "shutter", "Taken with the shutter"
        UPLOAD = "upload", "Uploaded for analysis"

    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.UPLOAD)
    profile_key = models.CharField(max_length=40)
    profile_name = models.CharField(max_length=80)
    # Analysis.to_dict(): people, framing, guidance, in_tolerance.
    analysis = models.JSONField(default=dict)
    in_tolerance = models.BooleanField(default=False)
    people_count = models.PositiveSmallIntegerField(default=0)

    class Meta(Creation.Meta):
        verbose_name = "composition shot"
