from __future__ import annotations

from django.contrib import admin

from apps.core.admin import CreationAdmin

from .models import SeasonsPhoto


@admin.register(SeasonsPhoto)
class SeasonsPhotoAdmin(CreationAdmin):
    list_display = ("thumbnails", "token", "direction", "enhanced", "review_status", "engine_lines", "total_ms",
                    "created_at")  # fmt: skip
    list_filter = (*CreationAdmin.list_filter, "direction", "enhanced")
    readonly_fields = (*CreationAdmin.readonly_fields, "crop")
