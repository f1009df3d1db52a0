"""The staff review screens: each tool's changelist (``CreationAdmin``) and one queue across every tool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .creations import (
    DATE_PRESETS,
    creation_models,
    creations_review,
    date_preset_range,
    engine_values,
    review_queue,
    review_summary,
)
from .models import Creation, Job, ReviewStatus

# --darkened-bg is defined by the admin's light and dark themes alike.
THUMB = (
    '<img src="{}" alt="{}" loading="lazy" style="height:96px;max-width:140px;object-fit:contain;'
    'background:var(--darkened-bg,#eee);border-radius:4px;vertical-align:middle">'
)
ARROW = '<span aria-hidden="true" style="color:var(--body-quiet-color);margin:0 4px">→</span>'


class CreationAdmin(admin.ModelAdmin):
    list_display = ("thumbnails", "token", "review_status", "engine_lines", "total_ms", "created_at")
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
            '<span style="white-space:nowrap">' + THUMB + ARROW + THUMB + "</span>",
            obj.input_image.url, "input", obj.output_image.url, "output",
        ) if obj.input_image and obj.output_image else "—"  # fmt: skip

    @admin.display(description="input → output")
    def thumbnails_large(self, obj: Creation) -> str:
        if not (obj.input_image and obj.output_image):
            return "—"
        big = THUMB.replace("height:96px;max-width:140px", "height:320px;max-width:45%")
        return format_html(big + ARROW + big, obj.input_image.url, "input", obj.output_image.url, "output")

    @admin.display(description="engine", ordering="engine")
    def engine_lines(self, obj: Creation) -> str:
        # One line per stage, wide enough to read; the plain ``engine`` string wraps into a narrow tall column.
        if not isinstance(obj.engines, dict) or not obj.engines:
            return obj.engine or "—"
        lines = format_html_join(
            mark_safe("<br>"),
            '<span style="color:var(--body-quiet-color)">{}:</span> {}',
            sorted(obj.engines.items()),
        )
        return format_html('<div style="min-width:16em;font-size:0.75rem;line-height:1.4">{}</div>', lines)

    @admin.display(description="ms")
    def total_ms(self, obj: Creation) -> str:
        total = obj.timings_ms.get("total") if isinstance(obj.timings_ms, dict) else None
        return f"{total:.0f}" if isinstance(total, int | float) else "—"

    def _review(self, request: HttpRequest, queryset: QuerySet, status: str) -> None:
        count = queryset.update(review_status=status, reviewed_at=timezone.now(), reviewed_by=request.user)
        self.message_user(request, f"{count} marked {ReviewStatus(status).label.lower()}.", messages.SUCCESS)

    @admin.action(description="Approve selected", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._review(request, queryset, ReviewStatus.APPROVED)

    @admin.action(description="Reject selected", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._review(request, queryset, ReviewStatus.REJECTED)

    @admin.action(description="Flag selected", permissions=["change"])
    def flag(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._review(request, queryset, ReviewStatus.FLAGGED)


# The review queue: one admin page across every tool, at admin/review/ (name "admin:review_queue").

REVIEW_PAGE_SIZE = 30
REVIEW_ACTIONS = {
    "approve": ("Approve selected", ReviewStatus.APPROVED),
    "reject": ("Reject selected", ReviewStatus.REJECTED),
    "flag": ("Flag selected", ReviewStatus.FLAGGED),
}


class ReviewFilterForm(forms.Form):
    tool = forms.CharField(required=False, max_length=64)
    status = forms.ChoiceField(choices=[("", "All"), *ReviewStatus.choices], required=False)
    engine = forms.CharField(required=False, max_length=200)
    date = forms.ChoiceField(choices=[("", "Any date"), *DATE_PRESETS.items()], required=False)
    date_from = forms.DateField(required=False)
    date_to = forms.DateField(required=False)

    def filters(self) -> dict[str, Any]:
        """The valid filters as ``review_queue`` arguments; an invalid one is left out (and shown as an error)."""
        self.is_valid()
        data = self.cleaned_data
        created_from, created_to = date_preset_range(data.get("date") or "", timezone.localdate())
        if not data.get("date"):
            created_from, created_to = data.get("date_from"), data.get("date_to")
        return {
            "tool": data.get("tool") or "",
            "status": data.get("status") or "",
            "engine": data.get("engine") or "",
            "created_from": created_from,
            "created_to": created_to,
        }


class CreationKeysField(forms.Field):
    """The checked rows, as ``<app_label>.<model_name>:<pk>`` strings; ``creations_review`` judges them."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": "Items must be selected in order to perform actions on them. No items have been changed."
    }

    def to_python(self, value: Any) -> list[str]:
        return [str(item) for item in value or []]


class ReviewActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(key, label) for key, (label, _) in REVIEW_ACTIONS.items()])
    items = CreationKeysField()

    def clean_action(self) -> ReviewStatus:
        return REVIEW_ACTIONS[self.cleaned_data["action"]][1]


def _models_allowed(request: HttpRequest, *actions: str) -> list[type[Creation]]:
    """The tools whose creations this user may see (``"view"``, ``"change"``) or change (``"change"``)."""
    user = request.user
    return [
        model
        for model in creation_models()
        if any(user.has_perm(f"{model._meta.app_label}.{get_permission_codename(a, model._meta)}") for a in actions)
    ]


def _query(params: QueryDict, **changes: str) -> str:
    """The current filters with ``changes`` applied (an empty value removes one), back on page 1."""
    query = params.copy()
    for name in ("p", *changes):
        query.pop(name, None)
    for name, value in changes.items():
        if value:
            query[name] = value
    return "?" + query.urlencode()


def _filter_sidebar(params: QueryDict, filters: dict[str, Any], models: list[type[Creation]]) -> list[dict[str, Any]]:
    """The changelist-like filter lists: each choice's link keeps the other filters."""

    def spec(title: str, name: str, options: list[tuple[str, str]], current: str, **also: str) -> dict[str, Any]:
        choices = [
            {"display": label, "query_string": _query(params, **{name: value}, **also), "selected": value == current}
            for value, label in options
        ]
        return {"title": title, "choices": choices}

    tools = sorted({(model.TOOL, model.TOOL_LABEL) for model in models}, key=lambda tool: tool[1])
    engines = [(engine, engine) for engine in engine_values(models)]
    preset = params.get("date", "") if params.get("date", "") in DATE_PRESETS else ""
    custom = not preset and bool(filters["created_from"] or filters["created_to"])
    # A preset replaces a from/to range and the other way round.
    dates = spec("date", "date", [("", "Any date"), *DATE_PRESETS.items()], "custom" if custom else preset,
                 date_from="", date_to="")  # fmt: skip
    dates["is_date"], dates["custom"] = True, custom
    dates["keep"] = [(name, value) for name, value in params.items() if name in ("tool", "status", "engine")]
    return [
        spec("tool", "tool", [("", "All"), *tools], filters["tool"]),
        spec("status", "status", [("", "All"), *ReviewStatus.choices], filters["status"]),
        spec("engine", "engine", [("", "All"), *engines], filters["engine"]),
        dates,
    ]


def _page_links(params: QueryDict, page: Page) -> list[tuple[int | str, str]]:
    """(label, query) per page link; an ellipsis has no query."""
    return [
        (number, "" if number == Paginator.ELLIPSIS else _query(params, p="" if number == 1 else str(number)))
        for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]


def review_queue_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _review_selected(request)
    models = _models_allowed(request, "view", "change")
    form = ReviewFilterForm(request.GET)
    filters = form.filters()
    page = Paginator(review_queue(models=models, **filters), REVIEW_PAGE_SIZE).get_page(request.GET.get("p"))
    context = {
        **admin.site.each_context(request),
        "title": "Review queue",
        "form": form,
        "page": page,
        "page_links": _page_links(request.GET, page),
        "sidebar": _filter_sidebar(request.GET, filters, models),
        "has_filters": any(filters.values()),
        "actions": [(key, label) for key, (label, _) in REVIEW_ACTIONS.items()],
        "can_change": bool(_models_allowed(request, "change")),
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/review_queue.html", context)


def _review_selected(request: HttpRequest) -> HttpResponse:
    form = ReviewActionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.warning(request, " ".join(errors))
        return redirect(request.get_full_path())
    status = form.cleaned_data["action"]
    outcome = creations_review(
        keys=form.cleaned_data["items"],
        status=status,
        reviewer=request.user,
        models=_models_allowed(request, "change"),
    )
    if outcome.updated:
        noun = "creation" if outcome.updated == 1 else "creations"
        messages.success(request, f"{outcome.updated} {noun} marked {ReviewStatus(status).label.lower()}.")
    if outcome.ignored:
        messages.warning(
            request,
            f"Ignored {len(outcome.ignored)} item(s) that are not creations you may review: "
            + ", ".join(outcome.ignored[:5]),
        )
    return redirect(request.get_full_path())


def _with_review_queue(get_urls: Callable[[], list[URLPattern]]) -> Callable[[], list[URLPattern]]:
    def get_urls_with_review_queue() -> list[URLPattern]:
        review = path("review/", admin.site.admin_view(review_queue_view), name="review_queue")
        return [review, *get_urls()]

    return get_urls_with_review_queue


def _with_review_summary(index: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def index_with_review_summary(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        summary = review_summary(_models_allowed(request, "view", "change"))
        return index(request, extra_context={"review_summary": summary, **(extra_context or {})})

    return index_with_review_summary


# The queue belongs to no model, so it is added to the default site itself. (A
# custom AdminSite would need a custom AdminConfig in INSTALLED_APPS; wrapping
# the two methods keeps settings and emopic/urls.py as they are.)
admin.site.get_urls = _with_review_queue(admin.site.get_urls)
admin.site.index = _with_review_summary(admin.site.index)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Queued generations (EMOPIC_JOBS=celery), for watching the workers: read-only, the workers write them."""

    list_display = ("token", "tool", "status", "attempts", "error_code", "created_at", "started_at", "finished_at")
    list_filter = ("status", "tool", "error_code", "created_at")
    search_fields = ("token", "owner_session", "creation_key")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False
