from __future__ import annotations

from django.db import models

from apps.core.models import Creation, creation_upload_to

from .pipeline.types import DIRECTIONS


class SeasonsPhoto(Creation):
    TOOL = "seasons"
    TOOL_LABEL = "Seasons"

    direction = models.CharField(max_length=16, choices=[(d.key, d.label) for d in DIRECTIONS.values()])
    # The square the user cropped, in the uploaded photo's pixels: {x, y, size}.
    crop = models.JSONField(default=dict)
    # The crop at the delivered resolution, before translation: the "before" of the reveal pages.
    before_image = models.FileField(upload_to=creation_upload_to, max_length=255)
    enhanced = models.BooleanField(default=False)  # restored by the RDN

    class Meta(Creation.Meta):
        verbose_name = "seasons photo"

    @property
    def direction_info(self):
        return DIRECTIONS[self.direction]
