"""Reads across every tool's creations (the visitor's gallery, the review queue)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps

from .models import Creation


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
