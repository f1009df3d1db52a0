"""Reads across every tool's creations (the visitor's gallery, the review queue)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from .models import Creation, ReviewStatus


@dataclass(frozen=True)
class CreationCard:
    tool_label: str
    url: str
    thumbnail_url: str
    created_at: datetime


def creation_models() -> list[type[Creation]]:
    return [model for model in apps.get_models() if issubclass(model, Creation)]


def creations_of(owner_session: str, limit: int = 60) -> list[CreationCard]:
    if not owner_session:
        return []
    cards = []
    for model in creation_models():
        for creation in model.objects.filter(owner_session=owner_session).order_by("-created_at")[:limit]:
            cards.append(
                CreationCard(
                    tool_label=model.TOOL_LABEL,
                    url=creation.get_absolute_url(),
                    thumbnail_url=creation.output_image.url,
                    created_at=creation.created_at,
                )
            )
    return sorted(cards, key=lambda card: card.created_at, reverse=True)[:limit]


# The review queue: every tool's creations in one list, for staff.
# Everything below works per model over ``creation_models()``, so a new tool's
# Creation subclass shows up in the queue, its filters and its bulk actions as is.

DATE_PRESETS = {"today": "Today", "7d": "Past 7 days", "month": "This month"}


def date_preset_range(preset: str, today: date) -> tuple[date | None, date | None]:
    """The inclusive (from, to) dates of a preset of ``DATE_PRESETS``; (None, None) for any other value."""
    if preset == "today":
        return today, today
    if preset == "7d":
        return today - timedelta(days=6), today
    if preset == "month":
        return today.replace(day=1), today
    return None, None


def creation_key(creation: Creation) -> str:
    """How a form names one creation of any tool: ``<app_label>.<model_name>:<pk>``."""
    return f"{creation._meta.label_lower}:{creation.pk}"


def creation_from_key(key: str) -> Creation | None:
    """The creation ``key`` names (see ``creation_key``), or None when it does not exist (any more)."""
    label, _, raw_pk = key.partition(":")
    model = next((m for m in creation_models() if m._meta.label_lower == label), None)
    if model is None or not raw_pk.isdigit():
        return None
    return model.objects.filter(pk=int(raw_pk)).first()


@dataclass(frozen=True)
class ReviewItem:
    creation: Creation

    @property
    def key(self) -> str:
        return creation_key(self.creation)

    @property
    def tool_label(self) -> str:
        return self.creation.TOOL_LABEL

    @property
    def admin_url(self) -> str:
        opts = self.creation._meta
        try:
            return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[self.creation.pk])
        except NoReverseMatch:
            return ""  # a tool whose admin is not registered yet

    @property
    def public_url(self) -> str:
        try:
            return self.creation.get_absolute_url()
        except NoReverseMatch:
            return ""


class ReviewQueue:
    """Filtered creations of several models, newest first, sliceable so that ``Paginator`` can page it.

    A slice reads only (pk, created_at) of the first ``stop`` rows of each model,
    merges them, then loads the rows of the page itself.
    """

    def __init__(self, querysets: Sequence[QuerySet]) -> None:
        self.querysets = [qs.order_by("-created_at", "-pk") for qs in querysets]

    def count(self) -> int:
        return sum(qs.count() for qs in self.querysets)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[ReviewItem]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("ReviewQueue supports plain slices only")
        start, stop = index.start or 0, index.stop
        querysets = {qs.model._meta.label_lower: qs for qs in self.querysets}
        heads = [
            (created_at, label, pk)
            for label, qs in querysets.items()
            for pk, created_at in qs.values_list("pk", "created_at")[:stop]
        ]
        page = sorted(heads, reverse=True)[start:stop]
        loaded: dict[tuple[str, object], Creation] = {}
        for label, qs in querysets.items():
            pks = [pk for _, head_label, pk in page if head_label == label]
            if pks:
                for pk, creation in qs.select_related("reviewed_by").in_bulk(pks).items():
                    loaded[label, pk] = creation
        # A row deleted between the two reads is left out rather than failing the page.
        return [ReviewItem(loaded[label, pk]) for _, label, pk in page if (label, pk) in loaded]


def review_queue(
    *,
    models: Iterable[type[Creation]] | None = None,
    tool: str = "",
    status: str = "",
    engine: str = "",
    created_from: date | None = None,
    created_to: date | None = None,
) -> ReviewQueue:
    """Creations of ``models`` (default: every tool) that match all the given filters; empty ones are ignored.

    Dates are inclusive days in the current time zone.
    """
    querysets = []
    for model in creation_models() if models is None else models:
        if tool and model.TOOL != tool:
            continue
        qs = model.objects.all()
        if status:
            qs = qs.filter(review_status=status)
        if engine:
            qs = qs.filter(engine=engine)
        if created_from:
            qs = qs.filter(created_at__date__gte=created_from)
        if created_to:
            qs = qs.filter(created_at__date__lte=created_to)
        querysets.append(qs)
    return ReviewQueue(querysets)


def engine_values(models: Iterable[type[Creation]] | None = None) -> list[str]:
    """Every engine summary in use, across the tools, for the engine filter."""
    engines: set[str] = set()
    for model in creation_models() if models is None else models:
        engines.update(model.objects.exclude(engine="").values_list("engine", flat=True).distinct())
    return sorted(engines)


@dataclass(frozen=True)
class ToolReviewSummary:
    tool: str
    tool_label: str
    pending: int
    total: int


def review_summary(models: Iterable[type[Creation]] | None = None) -> list[ToolReviewSummary]:
    return [
        ToolReviewSummary(
            tool=model.TOOL,
            tool_label=model.TOOL_LABEL,
            pending=model.objects.filter(review_status=ReviewStatus.PENDING).count(),
            total=model.objects.count(),
        )
        for model in (creation_models() if models is None else models)
    ]


@dataclass(frozen=True)
class ReviewOutcome:
    updated: int
    ignored: list[str]


def creations_review(
    *,
    keys: Iterable[str],
    status: str,
    reviewer: AbstractBaseUser,
    models: Iterable[type[Creation]] | None = None,
) -> ReviewOutcome:
    """Set ``status`` on the creations named by ``keys`` (see ``creation_key``) and record who did it and when.

    Keys that are malformed, name a model outside ``models`` (default: every tool)
    or a row that does not exist are returned as ignored, never raised.
    """
    status = ReviewStatus(status)  # a wrong status is a programming error, not user input
    by_label = {model._meta.label_lower: model for model in (creation_models() if models is None else models)}
    wanted: dict[type[Creation], dict[object, str]] = {}
    ignored = []
    for key in dict.fromkeys(keys):
        label, _, raw_pk = key.partition(":")
        model = by_label.get(label)
        try:
            # clean() also range-checks, so a huge number is ignored rather than overflowing the database.
            pk = model._meta.pk.clean(raw_pk, None) if model and raw_pk else None
        except ValidationError:
            pk = None
        if pk is None:
            ignored.append(key)
        else:
            wanted.setdefault(model, {})[pk] = key
    updated = 0
    now = timezone.now()
    with transaction.atomic():
        for model, keys_by_pk in wanted.items():
            found = set(model.objects.filter(pk__in=keys_by_pk).values_list("pk", flat=True))
            ignored += [key for pk, key in keys_by_pk.items() if pk not in found]
            updated += model.objects.filter(pk__in=found).update(
                review_status=status, reviewed_at=now, reviewed_by=reviewer
            )
    return ReviewOutcome(updated=updated, ignored=ignored)
