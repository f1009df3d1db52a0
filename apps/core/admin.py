"""The staff review screen every tool's creations share."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from .models import Creation, ReviewStatus

THUMB = (
    '<img src="{}" alt="{}" style="height:96px;max-width:140px;object-fit:contain;background:#eee;border-radius:4px">'
)


class CreationAdmin(admin.ModelAdmin):
    list_display = ("thumbnails", "token", "review_status", "engine", "total_ms", "created_at")
    list_display_links = ("thumbnails", "token")
    list_filter = ("review_status", "engine", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("token", "owner_session")
    readonly_fields = ("thumbnails_large", "token", "owner_session", "created_at", "engines", "timings_ms", "params",
                       "reviewed_at", "reviewed_by")  # fmt: skip
    actions = ("approve", "reject", "flag")
    list_per_page = 40

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # creations come from the tools, never typed in

    @admin.display(description="input → output")
    def thumbnails(self, obj: Creation) -> str:
        return format_html(
            THUMB + " " + THUMB, obj.input_image.url, "input", obj.output_image.url, "output"
        ) if obj.input_image and obj.output_image else "—"  # fmt: skip

    @admin.display(description="input → output")
    def thumbnails_large(self, obj: Creation) -> str:
        big = THUMB.replace("height:96px;max-width:140px", "height:320px;max-width:45%")
        return format_html(big + " " + big, obj.input_image.url, "input", obj.output_image.url, "output")

    @admin.display(description="ms")
    def total_ms(self, obj: Creation) -> str:
        return f"{obj.timings_ms.get('total', 0):.0f}"

    def _review(self, request: HttpRequest, queryset: QuerySet, status: str) -> None:
        count = queryset.update(review_status=status, reviewed_at=timezone.now(), reviewed_by=request.user)
        self.message_user(request, f"{count} marked {ReviewStatus(status).label.lower()}.", messages.SUCCESS)

    @admin.action(description="Approve selected")
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._review(request, queryset, ReviewStatus.APPROVED)

    @admin.action(description="Reject selected")
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._review(request, queryset, ReviewStatus.REJECTED)

    @admin.action(description="Flag selected")
    def flag(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._review(request, queryset, ReviewStatus.FLAGGED)
