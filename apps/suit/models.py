from __future__ import annotations

from django.db import models

from apps.core.models import Creation, creation_upload_to

from .pipeline.garments import STYLES


class SuitPhoto(Creation):
    TOOL = "suit"
    TOOL_LABEL = "Suit"

    style = models.CharField(max_length=32, choices=[(s.key, s.label) for s in STYLES.values()])
    background_hex = models.CharField(max_length=7)
    size_key = models.CharField(max_length=16)
    # The user's fit controls: lift in shoulder widths (+ up), widen as a fraction of the shoulder span.
    lift = models.FloatField(default=0.0)
    widen = models.FloatField(default=0.0)
    # The measured SuitFit in the cut-out's pixels, before the user's adjustments.
    fit = models.JSONField(default=dict)
    # FaceGeometry.to_dict() in the cut-out's pixels: places the head in ID sizes.
    geometry = models.JSONField(default=dict)
    # [{hex, palette, reason}], best first: the personal-colour recommendation.
    candidates = models.JSONField(default=list, blank=True)
    # What a refit redraws from: the person's colours with the old background removed (JPEG), and
    # the masks (PNG): red = the person's matte, green = hair and face (over the suit), blue =
    # everything kept of the photo (face, hair, neck).
    foreground_image = models.FileField(upload_to=creation_upload_to, max_length=255)
    layers_image = models.FileField(upload_to=creation_upload_to, max_length=255)
    # The per-pixel labels in colour, for the staff's review.
    parsing_image = models.FileField(upload_to=creation_upload_to, max_length=255)

    class Meta(Creation.Meta):
        verbose_name = "suit photo"
