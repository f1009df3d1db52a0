from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from apps.core.admin import THUMB, CreationAdmin

from .models import SuitPhoto


@admin.register(SuitPhoto)
class SuitPhotoAdmin(CreationAdmin):
    list_display = ("thumbnails", "token", "style", "review_status", "engine_lines", "total_ms", "created_at")
    list_filter = (*CreationAdmin.list_filter, "style")
    readonly_fields = (*CreationAdmin.readonly_fields, "parsing", "fit", "lift", "widen")

    @admin.display(description="parsing (what was kept and what was replaced)")
    def parsing(self, obj: SuitPhoto) -> str:
        return format_html(THUMB, obj.parsing_image.url, "parsing") if obj.parsing_image else "—"
