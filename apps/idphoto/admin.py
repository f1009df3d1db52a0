from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from apps.core.admin import CreationAdmin

from .models import BackgroundChoice, IdPhoto


class BackgroundChoiceInline(admin.TabularInline):
    model = BackgroundChoice
    extra = 0
    can_delete = False
    readonly_fields = ("hex", "kind", "candidate_rank", "created_at")


@admin.register(IdPhoto)
class IdPhotoAdmin(CreationAdmin):
    list_display = (
        "thumbnails",
        "token",
        "swatch",
        "palette",
        "review_status",
        "engine_lines",
        "total_ms",
        "created_at",
    )
    list_filter = (*CreationAdmin.list_filter, "palette")
    readonly_fields = (*CreationAdmin.readonly_fields, "candidates", "profile", "geometry")
    inlines = [BackgroundChoiceInline]

    @admin.display(description="background")
    def swatch(self, obj: IdPhoto) -> str:
        return format_html(
            '<span style="display:inline-block;width:18px;height:18px;border-radius:50%;background:{};'
            'vertical-align:middle;border:1px solid #999"></span> {}',
            obj.background_hex,
            obj.background_hex,
        )
