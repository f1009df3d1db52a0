from __future__ import annotations

from django.contrib import admin

from apps.core.admin import CreationAdmin

from .models import Emoticon


@admin.register(Emoticon)
class EmoticonAdmin(CreationAdmin):
    list_display = ("thumbnails", "token", "emotion", "review_status", "engine_lines", "total_ms", "created_at")
    list_filter = (*CreationAdmin.list_filter, "emotion")
    readonly_fields = (*CreationAdmin.readonly_fields, "face_box", "emotion_scores", "attributes", "spec",
                       "corrections")  # fmt: skip
