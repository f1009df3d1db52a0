"""Services shared by every tool: storing creations whole or not at all."""

from __future__ import annotations

import logging
from typing import TypeVar

from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest

from .models import Creation

logger = logging.getLogger(__name__)
C = TypeVar("C", bound=Creation)


class CreationNotSaved(RuntimeError):
    """Storage or the database failed; nothing of the creation was kept."""


def session_owner(request: HttpRequest) -> str:
    """The visitor's session key, creating the session on first use."""
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def save_creation(creation: C, files: dict[str, tuple[str, bytes]]) -> C:
    """Write every file, then the row, in one transaction; on any failure remove what was written.

    ``files`` maps a FileField name of ``creation`` to (file name, bytes).
    """
    written: list[tuple[object, str]] = []
    try:
        with transaction.atomic():
            for field_name, (filename, content) in files.items():
                field_file = getattr(creation, field_name)
                field_file.save(filename, ContentFile(content), save=False)
                written.append((field_file.storage, field_file.name))
            creation.save()
    except Exception as exc:
        for storage, name in written:
            try:
                storage.delete(name)  # type: ignore[attr-defined]
            except Exception:  # the original error matters more; log and go on
                logger.exception("Could not remove %s after a failed save", name)
        logger.exception("Saving a %s creation failed", creation.TOOL)
        raise CreationNotSaved("The result could not be saved; nothing was kept. Please try again.") from exc
    return creation


def replace_file(creation: Creation, field_name: str, filename: str, content: bytes, update_fields: list[str]) -> None:
    """Swap one file of a saved creation; the old file goes only once the new one and the row are saved."""
    field_file = getattr(creation, field_name)
    old_name = field_file.name
    field_file.save(filename, ContentFile(content), save=False)
    new_name = field_file.name
    try:
        creation.save(update_fields=[field_name, *update_fields])
    except Exception:
        field_file.storage.delete(new_name)
        raise
    if old_name and old_name != new_name:
        field_file.storage.delete(old_name)
