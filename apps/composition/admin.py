from __future__ import annotations

from django.contrib import admin

from apps.core.admin import CreationAdmin

from .models import CompositionProfile, CompositionShot


@admin.register(CompositionShot)
class CompositionShotAdmin(CreationAdmin):
    list_display = ("thumbnails", "token", "trigger", "profile_name", "people_count", "in_tolerance", "review_status",
                    "total_ms", "created_at")  # fmt: skip
    list_filter = (*CreationAdmin.list_filter, "trigger", "in_tolerance")
    readonly_fields = (*CreationAdmin.readonly_fields, "analysis")


@admin.register(CompositionProfile)
class CompositionProfileAdmin(admin.ModelAdmin):
    list_display = ("name", "reference_count", "owner_session", "updated_at")
    search_fields = ("name", "owner_session")
    readonly_fields = ("owner_session", "targets", "reference_count", "created_at", "updated_at")
