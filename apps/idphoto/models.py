from __future__ import annotations

from django.db import models

from apps.core.models import Creation, creation_upload_to


class IdPhoto(Creation):
    TOOL = "idphoto"
    TOOL_LABEL = "Emotional ID photo"

    cutout_image = models.FileField(upload_to=creation_upload_to, max_length=255)
    background_hex = models.CharField(max_length=7)
    palette = models.CharField(max_length=32, blank=True)
    reason = models.TextField(blank=True)
    # [{hex, palette, reason, score}], best first, as recommended at creation time.
    candidates = models.JSONField(default=list, blank=True)
    # The personal-colour analysis behind the recommendation.
    profile = models.JSONField(default=dict, blank=True)
    # FaceGeometry.to_dict() in the cut-out's pixel coordinates: places the head in ID sizes.
    geometry = models.JSONField(default=dict, blank=True)

    class Meta(Creation.Meta):
        verbose_name = "ID photo"


class BackgroundChoice(models.Model):
    """A background colour a user settled on: the preference labels the paper wished it had."""

    class Kind(models.TextChoices):
        RECOMMENDED = "recommended", "Kept the recommendation"
        CANDIDATE = "candidate", "Picked another candidate"
        CUSTOM = "custom", "Custom colour"

    photo = models.ForeignKey(IdPhoto, on_delete=models.CASCADE, related_name="choices")
    hex = models.CharField(max_length=7)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    candidate_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.hex} ({self.kind})"
