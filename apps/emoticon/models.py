from __future__ import annotations

from django.db import models

from apps.core.models import Creation, creation_upload_to


class Emoticon(Creation):
    TOOL = "emoticon"
    TOOL_LABEL = "Emoticon of you"

    svg_file = models.FileField(upload_to=creation_upload_to, max_length=255)
    # {x, y, width, height, confidence} of the face, in the stored input's pixels.
    face_box = models.JSONField(default=dict)
    emotion = models.CharField(max_length=16)
    # The classifier's seven probabilities, as read (before any correction).
    emotion_scores = models.JSONField(default=dict)
    # Attributes.to_dict() as measured, before any correction.
    attributes = models.JSONField(default=dict)
    # What the renderer drew: EmoticonSpec.to_dict(), measured values with the user's corrections applied.
    spec = models.JSONField(default=dict)
    # Fields the user corrected: {field: value}; kept apart so measured and corrected stay comparable.
    corrections = models.JSONField(default=dict, blank=True)

    class Meta(Creation.Meta):
        verbose_name = "emoticon"
